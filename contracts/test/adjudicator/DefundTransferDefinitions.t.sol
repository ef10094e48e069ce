// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AdjudicatorBase} from "./AdjudicatorBase.sol";
import {MaliciousDefinition} from "./mocks/MaliciousDefinition.sol";
import {IChannelErrors} from "../../src/interfaces/IChannelErrors.sol";
import {CoreTransferState, WithdrawData} from "../../src/interfaces/Types.sol";
import {Withdraw} from "../../src/transfers/Withdraw.sol";

/// @notice `defundTransfer` with other definitions: the Withdraw definition, and a malicious
/// one that both parties committed to but whose resolution the channel must bound.
contract DefundTransferDefinitionsTest is AdjudicatorBase {
    uint256 internal constant AMOUNT = 2 ether;
    uint256 internal constant FEE = 0.1 ether;

    MaliciousDefinition internal malicious;
    address internal thief;

    function setUp() public override {
        super.setUp();
        malicious = new MaliciousDefinition();
        thief = makeAddr("thief");
        depositAlice(ETH, 5 ether);
        depositBob(ETH, 5 ether);
    }

    function _transfer(bytes32 id, address definition, address initiator, address responder, bytes memory state)
        internal
        view
        returns (CoreTransferState memory cts)
    {
        cts = CoreTransferState({
            channelAddress: address(channel),
            transferId: id,
            transferDefinition: definition,
            initiator: initiator,
            responder: responder,
            assetId: ETH,
            balance: twoParty(payable(initiator), payable(responder), AMOUNT, 0),
            transferTimeout: TIMEOUT,
            initialStateHash: keccak256(state)
        });
    }

    function _disputeOnly(CoreTransferState memory cts) internal {
        disputeSingleTransfer(cts);
    }

    // ---------------------------------------------------------------- Withdraw

    /// @dev Bob withdraws AMOUNT - FEE to himself; alice (the node) is the responder.
    function _withdrawTransfer()
        internal
        view
        returns (CoreTransferState memory cts, bytes memory state, bytes32 data)
    {
        WithdrawData memory wd = WithdrawData({
            channelAddress: address(channel), assetId: ETH, recipient: payable(bob), amount: AMOUNT - FEE, nonce: 1
        });
        data = channel.withdrawDigest(wd);
        state = abi.encode(
            Withdraw.WithdrawState({
                initiatorSignature: sign(bobKey, data), initiator: bob, responder: alice, data: data, nonce: 1, fee: FEE
            })
        );
        cts = _transfer(keccak256("withdraw"), address(withdrawDefinition), bob, alice, state);
    }

    function _withdrawResolver(bytes memory sig) internal pure returns (bytes memory) {
        return abi.encode(Withdraw.WithdrawResolver({responderSignature: sig}));
    }

    function test_defundTransfer_withdrawResolvedLeavesOnlyFeeForResponder() public {
        (CoreTransferState memory cts, bytes memory state, bytes32 data) = _withdrawTransfer();
        _disputeOnly(cts);
        vm.prank(alice);
        channel.defundTransfer(cts, state, _withdrawResolver(sign(aliceKey, data)), "");
        assertEq(channel.getExitableAmount(ETH, alice), FEE);
        assertEq(channel.getExitableAmount(ETH, bob), 0, "bob is paid by the commitment");
        assertTrue(channel.getTransferDispute(cts.transferId).isDefunded);
    }

    function test_defundTransfer_withdrawThenCommitmentPaysTheRestOnce() public {
        (CoreTransferState memory cts, bytes memory state, bytes32 data) = _withdrawTransfer();
        _disputeOnly(cts);
        bytes memory aliceSig = sign(aliceKey, data);
        vm.prank(alice);
        channel.defundTransfer(cts, state, _withdrawResolver(aliceSig), "");
        // Both commitment signatures are public now: bob is paid by the commitment itself.
        WithdrawData memory wd = WithdrawData({
            channelAddress: address(channel), assetId: ETH, recipient: payable(bob), amount: AMOUNT - FEE, nonce: 1
        });
        channel.withdraw(wd, aliceSig, sign(bobKey, data));
        assertEq(bob.balance, AMOUNT - FEE);
        assertEq(AMOUNT - FEE + channel.getExitableAmount(ETH, alice), AMOUNT, "the locked amount, once");
    }

    function test_defundTransfer_withdrawByThirdPartyWithResolutionSignature() public {
        (CoreTransferState memory cts, bytes memory state, bytes32 data) = _withdrawTransfer();
        _disputeOnly(cts);
        bytes memory resolver = _withdrawResolver(sign(aliceKey, data));
        bytes memory sig = sign(aliceKey, channel.transferResolutionDigest(cts.transferId, resolver));
        vm.prank(carol);
        channel.defundTransfer(cts, state, resolver, sig);
        assertEq(channel.getExitableAmount(ETH, alice), FEE);
    }

    function test_defundTransfer_withdrawCancelRefundsInitiator() public {
        (CoreTransferState memory cts, bytes memory state,) = _withdrawTransfer();
        _disputeOnly(cts);
        vm.prank(alice);
        channel.defundTransfer(cts, state, _withdrawResolver(""), "");
        assertEq(channel.getExitableAmount(ETH, bob), AMOUNT);
        assertEq(channel.getExitableAmount(ETH, alice), 0);
    }

    function test_defundTransfer_withdrawRevertsWithWrongCommitmentSigner() public {
        (CoreTransferState memory cts, bytes memory state, bytes32 data) = _withdrawTransfer();
        _disputeOnly(cts);
        vm.expectRevert(abi.encodeWithSelector(Withdraw.InvalidCommitmentSignature.selector, alice));
        vm.prank(alice);
        channel.defundTransfer(cts, state, _withdrawResolver(sign(bobKey, data)), "");
    }

    function test_defundTransfer_withdrawAfterTimeoutRefundsInitiator() public {
        (CoreTransferState memory cts, bytes memory state, bytes32 data) = _withdrawTransfer();
        _disputeOnly(cts);
        vm.warp(channel.getTransferDispute(cts.transferId).transferDisputeExpiry);
        vm.prank(alice);
        channel.defundTransfer(cts, state, _withdrawResolver(sign(aliceKey, data)), "");
        assertEq(channel.getExitableAmount(ETH, bob), AMOUNT);
        assertEq(channel.getExitableAmount(ETH, alice), 0);
    }

    // ---------------------------------------------------------------- malicious definition

    function _maliciousState(MaliciousDefinition.Mode mode, uint256 amount) internal view returns (bytes memory) {
        return abi.encode(MaliciousDefinition.MaliciousState({mode: mode, thief: thief, amount: amount}));
    }

    function _expectInvalidResolution(MaliciousDefinition.Mode mode, uint256 amount) internal {
        bytes memory state = _maliciousState(mode, amount);
        CoreTransferState memory cts =
            _transfer(keccak256(abi.encode("malicious", mode, amount)), address(malicious), alice, bob, state);
        _disputeOnly(cts);
        vm.expectRevert(IChannelErrors.InvalidResolvedBalance.selector);
        vm.prank(bob);
        channel.defundTransfer(cts, state, "", "");
        assertEq(channel.getExitableAmount(ETH, thief), 0);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
        assertFalse(channel.getTransferDispute(cts.transferId).isDefunded);
    }

    function test_defundTransfer_maliciousDefinitionIsNotRegistered() public view {
        assertFalse(registry.isRegistered(address(malicious)));
        assertTrue(registry.isRegistered(address(hashlock)));
    }

    function test_defundTransfer_revertsWhenResolutionRedirectsInitiatorShare() public {
        _expectInvalidResolution(MaliciousDefinition.Mode.RedirectInitiator, 0);
    }

    function test_defundTransfer_revertsWhenResolutionRedirectsResponderShare() public {
        _expectInvalidResolution(MaliciousDefinition.Mode.RedirectResponder, 0);
    }

    function test_defundTransfer_revertsWhenResolutionCreatesMoney() public {
        _expectInvalidResolution(MaliciousDefinition.Mode.CreateMoney, 1);
    }

    function test_defundTransfer_revertsWhenResolutionCreatesMoneyAtOverflowEdge() public {
        // amount[1] = AMOUNT + (max - AMOUNT) = max: the sum check must not overflow silently.
        _expectInvalidResolution(MaliciousDefinition.Mode.CreateMoney, type(uint256).max - AMOUNT);
    }

    /// A definition whose resolved amounts overflow when added is refused by name, not by panic.
    function test_defundTransfer_revertsWhenResolvedAmountsOverflow() public {
        _expectInvalidResolution(MaliciousDefinition.Mode.OverflowSum, 1);
    }

    function test_defundTransfer_resolutionBurningPartIsAccepted() public {
        bytes memory state = _maliciousState(MaliciousDefinition.Mode.Burn, 0.5 ether);
        CoreTransferState memory cts = _transfer(keccak256("burn"), address(malicious), alice, bob, state);
        _disputeOnly(cts);
        vm.prank(bob);
        channel.defundTransfer(cts, state, "", "");
        assertEq(channel.getExitableAmount(ETH, alice), AMOUNT - 0.5 ether);
        assertEq(channel.getExitableAmount(ETH, bob), 0);
    }

    function test_defundTransfer_maliciousDefinitionAfterTimeoutPaysInitialBalance() public {
        bytes memory state = _maliciousState(MaliciousDefinition.Mode.RedirectInitiator, 0);
        CoreTransferState memory cts = _transfer(keccak256("late"), address(malicious), alice, bob, state);
        _disputeOnly(cts);
        vm.warp(channel.getTransferDispute(cts.transferId).transferDisputeExpiry);
        channel.defundTransfer(cts, state, "", "");
        assertEq(channel.getExitableAmount(ETH, alice), AMOUNT);
        assertEq(channel.getExitableAmount(ETH, thief), 0);
    }
}
