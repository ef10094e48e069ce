// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {CoreChannelState, WithdrawData} from "../../src/interfaces/Types.sol";

/// @notice Helpers shared by the channel mixin tests: withdrawal commitments, an EIP-712 digest
/// computed without the contract, and the dispute-to-exit path.
abstract contract ChannelTestBase is ChannelFixture {
    /// @dev secp256k1 group order.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant WITHDRAW_TYPEHASH = keccak256(
        "WithdrawData(address channelAddress,address assetId,address recipient,uint256 amount,uint256 nonce)"
    );

    function withdrawData(address assetId, address recipient, uint256 amount, uint256 nonce)
        internal
        view
        returns (WithdrawData memory)
    {
        return WithdrawData({
            channelAddress: address(channel),
            assetId: assetId,
            recipient: payable(recipient),
            amount: amount,
            nonce: nonce
        });
    }

    /// @dev The withdrawal digest as DESIGN §4.3 defines it, built from the type strings alone.
    function expectedWithdrawDigest(WithdrawData memory wd, address verifyingContract, uint256 chainId)
        internal
        pure
        returns (bytes32)
    {
        bytes32 domainSeparator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Connext"), keccak256("2"), chainId, verifyingContract)
        );
        bytes32 structHash =
            keccak256(abi.encode(WITHDRAW_TYPEHASH, wd.channelAddress, wd.assetId, wd.recipient, wd.amount, wd.nonce));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator, structHash));
    }

    /// @dev Pays out `wd` with both parties' signatures.
    function executeWithdraw(WithdrawData memory wd) internal {
        channel.withdraw(wd, signWithdraw(aliceKey, wd), signWithdraw(bobKey, wd));
    }

    /// @dev Disputes a one-asset state giving `aliceAmount`/`bobAmount` and defunds it, so that
    /// both amounts become exitable.
    function disputeAndDefund(address assetId, uint256 aliceAmount, uint256 bobAmount) internal {
        CoreChannelState memory ccs = singleAssetState(assetId, aliceAmount, bobAmount, 1);
        disputeAndEnterDefund(ccs);
        address[] memory assets = new address[](1);
        assets[0] = assetId;
        channel.defundChannel(ccs, assets, new uint256[](1));
    }

    /// @dev Funds the channel with `aliceAmount + bobAmount` (alice's half by depositAlice,
    /// bob's by plain transfer) and makes each party's amount exitable.
    function fundAndDefund(address assetId, uint256 aliceAmount, uint256 bobAmount) internal {
        depositAlice(assetId, aliceAmount);
        depositBob(assetId, bobAmount);
        disputeAndDefund(assetId, aliceAmount, bobAmount);
    }

    /// @dev (r, s, v) packed, from a signature made by `sign`.
    function split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }
}
