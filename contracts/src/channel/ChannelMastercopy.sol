// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IChannelMastercopy} from "../interfaces/IChannelMastercopy.sol";
import {CMCAdjudicator} from "./CMCAdjudicator.sol";
import {CMCWithdraw} from "./CMCWithdraw.sol";

/// @title ChannelMastercopy
/// @notice The code every channel runs. Channels are EIP-1167 clones made by ChannelFactory;
/// this contract itself refuses to hold funds or be set up.
/// @dev Each concern lives in its own mixin: CMCCore (parties, signatures), CMCAsset (payouts,
/// exits), CMCDeposit, CMCWithdraw and CMCAdjudicator (disputes).
contract ChannelMastercopy is CMCWithdraw, CMCAdjudicator, IChannelMastercopy {}
